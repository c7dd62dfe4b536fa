// One field's problem in a request, as the problem documents list them. A module of its own (no imports) so pure
// modules shared with the browser apps (core/forms) can name the type without pulling in the server's.
export interface FieldError {
  field: string; // where: 'body.members[2].birth_date', 'query.limit', 'header.if-match'
  message: string; // what is wrong, for a person
  index?: number; // the record of a batch it belongs to
}
