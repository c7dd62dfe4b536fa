// Forms: versioned definitions of what is collected, and the validator the server and field apps share.
// The pure part (no database, no node imports) is in definition.ts, expression.ts, json-schema.ts, validate.ts and
// render.ts: a field app can import those alone.
export type { Choice, FormDefinition, FormField, FormSection, Text } from './definition.js';
export { checkDefinition } from './definition.js';
export { compile, EXPRESSION_LIMITS, ExpressionError } from './expression.js';
export { validateWithDefinition, type ValidateOptions } from './validate.js';
export { renderForm } from './render.js';
export { DEFAULT_FORM_ID, defaultHouseholdForm, deriveDisabilities, WASHINGTON_GROUP } from './default-household.js';
export { installDefaultForms, publishedDefinition, validateSubmission } from './service.js';
