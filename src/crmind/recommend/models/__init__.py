"""The recommenders, all behind :class:`crmind.recommend.base.Recommender`."""
