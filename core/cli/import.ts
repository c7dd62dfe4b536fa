export { importCsv } from '../import/import.js';
