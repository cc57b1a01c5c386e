/**
 * The transfer module: a member's data in and out. An import of Letterboxd's export (its ZIP or
 * one of its CSV files) and an export of everything, in Letterboxd's format and Butaca's own
 * butaca.json; for the API and the command line alike.
 */
export { default as transferRoutes } from './routes.js';
export { exportMember, importLetterboxd } from './service.js';
export { IMPORT_MAX_BYTES, ImportSummary } from './schemas.js';
export { ZIP_LIMITS } from './zip.js';
