"""A chat assistant that answers questions about news articles, citing the exact sentences it used."""

__version__ = "0.1.0"
