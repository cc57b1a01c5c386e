// What the command line uses of the catalogue import.
export { BATCH_LINES, CatalogueImportError, type ImportFiles, type ImportSummary, formatSummary, importCatalogue } from './service.js';
export { TsvError } from './tsv.js';
