"""Manhwa Downloader: search a Consumet source, read chapters, download them as CBZ/ZIP."""

__version__ = "0.1.0"
