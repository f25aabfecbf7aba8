/** GraphQL surface of: CSV import jobs and export. Node types are registered with `nodeRegistry` here too. */
export const importExportResolvers: Function[] = [];
