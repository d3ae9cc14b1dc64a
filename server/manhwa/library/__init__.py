"""The library (issue 13): followed series whose new chapters arrive by themselves, in a folder
Komga and Kavita read, with an index in the store, checks on their own queue, notifications,
media-server scan calls and an OPDS catalog.

- `naming`: folder and file names, ComicInfo extras (Manga, LanguageISO, our ids in Notes);
- `store`: follows, the index, check locks and chapter failures in Redis (`LibraryStore`);
- `writer`: a library job's finish: CBZs into the folder, index, follow settled;
- `checks`: a check of one series (new chapters → one job) and which follows are due;
- `scan`: the index rebuilt from the folder's ComicInfo; export/import as JSON;
- `notify`, `mediaservers`: Apprise messages; Komga/Kavita scan calls.
"""
