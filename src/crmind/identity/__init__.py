"""Identity resolution: find the records that are one person, across sources."""
