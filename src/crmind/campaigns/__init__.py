"""Campaigns: audiences, triggers, templates, channels and experiments (holdout, uplift).

Pure parts only: a campaign's specification (:mod:`.spec`), who of a frame of customers is in an
audience (:mod:`.audiences`), the fixed experiment groups (:mod:`.assignment`), message rendering
(:mod:`.templates`), schedules and quiet hours (:mod:`.timing`), the channels that deliver
(:mod:`.channels`) and the uplift of a finished campaign (:mod:`.uplift`). The store is read and
written by ``crmind.services.campaign_*``.
"""
