"""A Consumet-compatible demo source with fault knobs.

It stands in for a Consumet instance and its image CDNs: `make run` uses it when no real Consumet
URL is configured, every test talks to it instead of the internet, and the benchmark reads from it.
Response shapes follow `/work/shared/consumet/CONTRACT.md` (mangadex and mangahere routes), images
are drawn with Pillow and served from the same host, and `/_control/*` injects faults.
"""
