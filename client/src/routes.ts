/** Paths of the app's pages; each dynamic segment is URL-encoded (ids may hold `/`). */
export const paths = {
  search: '/',
  downloads: '/downloads',
  library: '/library',
  series: (source: string, id: string) => `/series/${encodeURIComponent(source)}/${encodeURIComponent(id)}`,
  reader: (source: string, seriesId: string, chapterId: string) =>
    `/read/${encodeURIComponent(source)}/${encodeURIComponent(seriesId)}/${encodeURIComponent(chapterId)}`,
};
