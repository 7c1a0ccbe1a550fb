/**
 * Label and annotation rules of Cloud Controller (CAPI 1.235.0 = cloud_controller_ng dd2f354f):
 * app/messages/validators/metadata_validator.rb, app/messages/metadata_validator_helper.rb,
 * app/models/helpers/metadata_helpers.rb (`extract_prefix`) and
 * lib/cloud_controller/domain_decorator.rb (DOMAIN_REGEX for prefixes). Messages are cf's.
 */

const MAX_LABEL_VALUE_SIZE = 63;
const MAX_METADATA_KEY_SIZE = 63;
const MAX_METADATA_PREFIX_SIZE = 253;
const MAX_ANNOTATION_VALUE_SIZE = 5000;
const INVALID_CHAR = /[^A-Za-z0-9_\-.]/;
const ALPHANUMERIC_START_END = /^(?=[a-zA-Z\d]).*[a-zA-Z\d]$/s;
const DOMAIN = /^(([a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])\.)+([a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])\n?$/i;
const RESERVED_DOMAIN = 'cloudfoundry.org';

/** Ruby's String#size counts characters, not UTF-16 units. */
const size = (s: string) => [...s].length;

/** `MetadataValidatorHelper#key_error`: the first problem of a label or annotation key, or undefined. */
export function metadataKeyError(key: string): string | undefined {
  if (key.trim() === '') return 'key cannot be empty string';
  if ((key.match(/\//g) ?? []).length > 1) return "key has more than one '/'";
  // extract_prefix: Ruby's split drops a trailing empty piece, so `a/` has the name ''.
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (!DOMAIN.test(prefix)) return `prefix '${prefix}' must be in valid dns format`;
    if (size(prefix) > MAX_METADATA_PREFIX_SIZE) return `prefix '${[...prefix].slice(0, 8).join('')}...' is greater than ${MAX_METADATA_PREFIX_SIZE} characters`;
    if (prefix.toLowerCase() === RESERVED_DOMAIN) return "prefix 'cloudfoundry.org' is reserved";
  }
  if (name.trim() === '') return 'key cannot be empty string';
  return nameOrValueError(name, MAX_METADATA_KEY_SIZE);
}

/** `MetadataValidatorHelper#value_error` for a label value (already turned into text). */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  return nameOrValueError(value, MAX_LABEL_VALUE_SIZE);
}

/** An annotation value longer than 5000 characters (`validate_annotation_value`). */
export function annotationValueError(value: string): string | undefined {
  if (size(value) <= MAX_ANNOTATION_VALUE_SIZE) return undefined;
  return `'${[...value].slice(0, 8).join('')}...' is greater than ${MAX_ANNOTATION_VALUE_SIZE} characters`;
}

function nameOrValueError(text: string, max: number): string | undefined {
  if (INVALID_CHAR.test(text)) return `'${text}' contains invalid characters`;
  if (!ALPHANUMERIC_START_END.test(text)) return `'${text}' starts or ends with invalid characters`;
  if (size(text) > max) return `'${[...text].slice(0, 8).join('')}...' is greater than ${max} characters`;
  return undefined;
}
