"""Privacy: the installation's secret and keys derived from it, field encryption, pseudonyms."""
