// The API documents drive routing and validation. Routes are matched here once per request against paths
// compiled at start (openapi-backend's own router rebuilds its operation list per call: the measured hot spot),
// then openapi-backend's precompiled ajv validators check the request against the known operation.
import addFormats from 'ajv-formats';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import { readYamlFile } from './yaml-file.js';
import { invalid, type FieldError } from './errors.js';

export interface ApiOperation {
  operationId: string;
  method: string;
  path: string;
  /** Scopes the caller needs (from `security: [{bearerAuth: [...]}]`); null when the operation is public. */
  scopes: string[] | null;
  operation: Operation;
}

export interface RouteMatch {
  operation: ApiOperation;
  params: Record<string, string>;
}

interface CompiledPath {
  template: string;
  regex: RegExp;
  names: string[];
  byMethod: Map<string, ApiOperation>;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  body?: unknown;
}

export class Api {
  private exact = new Map<string, CompiledPath>();
  private templated: CompiledPath[] = [];
  readonly operations = new Map<string, ApiOperation>();

  private constructor(private backend: OpenAPIBackend) {
    for (const op of backend.getOperations()) {
      const scopes = securityScopes(op, backend.definition.security);
      const apiOp = { operationId: op.operationId!, method: op.method.toUpperCase(), path: op.path, scopes, operation: op };
      this.operations.set(apiOp.operationId, apiOp);
      this.compiledPathFor(op.path).byMethod.set(apiOp.method, apiOp);
    }
  }

  /** Loads a document from a file, or takes one already parsed (the hub's, merged from its parts). */
  static async load(source: string | object): Promise<Api> {
    type Definition = ConstructorParameters<typeof OpenAPIBackend>[0]['definition'];
    const definition = (typeof source === 'string' ? await readYamlFile(source) : source) as Definition;
    const backend = new OpenAPIBackend({
      definition,
      strict: true,
      // quick skips openapi-backend's check of the document, which knows only OpenAPI 3.0;
      // tests/openapi checks the documents against the 3.1 schema instead
      quick: true,
      coerceTypes: true,
      // allErrors: report every bad field at once; useDefaults: the document's defaults fill absent values
      ajvOpts: { allErrors: true, useDefaults: true },
      customizeAjv: (ajv) => {
        addFormats.default(ajv, ['date', 'date-time', 'email', 'uuid', 'uri']);
        return ajv;
      },
    });
    await backend.init();
    return new Api(backend);
  }

  get document(): object {
    return this.backend.definition;
  }

  /**
   * The operation for a method and path; `allowed` lists the methods when only the method is wrong.
   * Throws a 400 HubError when a path parameter is not valid percent-encoding.
   */
  match(method: string, path: string): RouteMatch | { allowed: string[] } | undefined {
    let compiled = this.exact.get(path);
    let values: string[] = [];
    if (!compiled) {
      for (const candidate of this.templated) {
        const m = candidate.regex.exec(path);
        if (m) {
          compiled = candidate;
          values = m.slice(1);
          break;
        }
      }
    }
    if (!compiled) return undefined;
    const operation = compiled.byMethod.get(method === 'HEAD' ? 'GET' : method);
    if (!operation) return { allowed: [...compiled.byMethod.keys()] };
    const params: Record<string, string> = {};
    compiled.names.forEach((name, i) => (params[name] = decodeParameter(name, values[i])));
    return { operation, params };
  }

  /** Validates a request against its operation; returns the coerced query and path parameters. */
  validateRequest(req: RawRequest, operation: ApiOperation) {
    const result = this.backend.validateRequest(req as Parameters<OpenAPIBackend['validateRequest']>[0], operation.operation);
    return {
      errors: (result.errors ?? []).map(toFieldError),
      query: (result.coerced.query ?? req.query) as Record<string, unknown>,
    };
  }

  /** Validates a body as the request body of an operation (for inputs that arrive by other ways, e.g. CSV). */
  validateBody(operationId: string, body: unknown): FieldError[] {
    const op = this.operations.get(operationId);
    if (!op) throw new Error(`unknown operation ${operationId}`);
    const req = { method: op.method, path: op.path, headers: { 'content-type': 'application/json' }, query: {}, body };
    return (this.backend.validateRequest(req, op.operation).errors ?? [])
      .map(toFieldError)
      .filter((e) => e.field === 'body' || e.field.startsWith('body.') || e.field.startsWith('body['));
  }

  /** Validates a response body against the document (used by the tests on every response). */
  validateResponse(operationId: string, status: number, body: unknown): FieldError[] {
    const result = this.backend.validateResponse(body, operationId, status);
    return (result.errors ?? []).map(toFieldError);
  }

  private compiledPathFor(template: string): CompiledPath {
    const names: string[] = [];
    const pattern = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{([^}]+)\}$/.exec(part)?.[1];
        if (!name) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(name);
        return '([^/]+)';
      })
      .join('');
    if (names.length === 0) {
      if (!this.exact.has(template)) this.exact.set(template, { template, regex: /^$/, names, byMethod: new Map() });
      return this.exact.get(template)!;
    }
    let compiled = this.templated.find((c) => c.template === template);
    if (!compiled) {
      compiled = { template, regex: new RegExp(`^${pattern}$`), names, byMethod: new Map() };
      this.templated.push(compiled);
    }
    return compiled;
  }
}

function securityScopes(op: Operation, rootSecurity: unknown): string[] | null {
  const security = (op.security ?? rootSecurity ?? []) as Record<string, string[]>[];
  if (security.length === 0) return null;
  return [...new Set(security.flatMap((requirement) => Object.values(requirement).flat()))];
}

/** A path parameter as text; broken percent-encoding ('%', '%E0%A4%A') is the caller's error, not a 500 later. */
function decodeParameter(name: string, value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalid([{ field: `path.${name}`, message: 'is not valid percent-encoded UTF-8' }]);
  }
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const LOCATIONS: Record<string, string> = { requestBody: 'body', query: 'query', path: 'path', header: 'header' };

/** ajv's '/requestBody/members/0/birth_date' -> 'body.members[0].birth_date', with a message a person can act on. */
function toFieldError(error: AjvError): FieldError {
  const [, location = '', ...rest] = error.instancePath.split('/');
  const segments = [...rest.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))];
  let message = error.message ?? 'is not valid';
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    message = 'is required';
    if (!location) return { field: LOCATIONS[missing] ?? missing, message };
    segments.push(missing);
  } else if (error.keyword === 'additionalProperties') {
    segments.push(String(error.params.additionalProperty));
    message = 'is not a known field';
  } else if (error.keyword === 'enum') {
    message = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  } else if (error.keyword === 'parse') {
    message = 'is not valid JSON';
  }
  let field = LOCATIONS[location] ?? (location || 'body');
  for (const segment of segments) field += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
  return { field, message };
}
