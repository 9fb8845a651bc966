import type { ErrorObject } from 'ajv';
/** Standalone validator of schemas/gitops-deploy.schema.json (see scripts/gen-validator.mjs). */
declare const validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
export = validate;
