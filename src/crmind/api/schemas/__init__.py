"""Request and response models, one family per entity (``XCreate``, ``XUpdate``, ``XPublic``,
``XsPublic{data, count}``). Internal columns (hashes, keys) never appear in them."""
