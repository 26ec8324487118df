//! A validator for the JSON Schema keywords the official MCP schemas use (draft-07 and
//! 2020-12): `$ref`, `anyOf`, `allOf`, `const`, `enum`, `type`, `properties`, `required`,
//! `additionalProperties`, `items`, `minimum`, `maximum`, `maxItems`. `format` is an annotation
//! only, as both drafts specify by default. Any other keyword fails loudly, so a schema update
//! cannot silently make validation weaker.

use std::path::PathBuf;

use serde_json::Value;

/// One protocol version's official schema.
pub struct McpSchema {
    root: Value,
}

/// Where the official schemas are: `$MCP_SCHEMA_DIR`, else `../shared/reference/mcp-spec`.
fn schema_dir() -> PathBuf {
    std::env::var_os("MCP_SCHEMA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/mcp-spec")
        })
}

impl McpSchema {
    /// Loads `schema-<version>.json`.
    pub fn load(version: &str) -> Self {
        let path = schema_dir().join(format!("schema-{version}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read the official MCP schema {} ({e}); set MCP_SCHEMA_DIR to a directory \
                 holding schema-<version>.json from modelcontextprotocol/modelcontextprotocol",
                path.display()
            )
        });
        Self {
            root: serde_json::from_str(&text).expect("the schema is JSON"),
        }
    }

    /// Validates `instance` against the named definition (e.g. `CallToolResult`).
    pub fn validate(&self, definition: &str, instance: &Value) -> Result<(), String> {
        let schema = self.definition(definition);
        let mut errors = Vec::new();
        self.check(schema, instance, definition, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Validates `instance` against a schema given inline (e.g. a tool's `outputSchema`).
    pub fn validate_with(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut errors = Vec::new();
        self.check(schema, instance, "instance", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Whether the schema defines `name`.
    pub fn has(&self, name: &str) -> bool {
        self.definitions().get(name).is_some()
    }

    fn definitions(&self) -> &Value {
        self.root
            .get("definitions")
            .or_else(|| self.root.get("$defs"))
            .expect("the schema has definitions")
    }

    fn definition(&self, name: &str) -> &Value {
        self.definitions()
            .get(name)
            .unwrap_or_else(|| panic!("no definition {name}"))
    }

    fn check(&self, schema: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return errors.push(format!("{path}: nothing is allowed here")),
            Value::Object(schema) => schema,
            other => panic!("not a schema: {other}"),
        };
        for (keyword, value) in schema {
            match keyword.as_str() {
                "$ref" => {
                    let name = value
                        .as_str()
                        .and_then(|r| {
                            r.strip_prefix("#/definitions/")
                                .or_else(|| r.strip_prefix("#/$defs/"))
                        })
                        .unwrap_or_else(|| panic!("unsupported $ref {value}"));
                    self.check(self.definition(name), instance, path, errors);
                }
                "anyOf" => {
                    let passes = value.as_array().expect("anyOf array").iter().any(|branch| {
                        let mut branch_errors = Vec::new();
                        self.check(branch, instance, path, &mut branch_errors);
                        branch_errors.is_empty()
                    });
                    if !passes {
                        errors.push(format!("{path}: matches no branch of anyOf: {instance}"));
                    }
                }
                "allOf" => {
                    for branch in value.as_array().expect("allOf array") {
                        self.check(branch, instance, path, errors);
                    }
                }
                "const" if instance != value => {
                    errors.push(format!("{path}: must be {value}, is {instance}"))
                }
                "enum" if !value.as_array().expect("enum array").contains(instance) => {
                    errors.push(format!("{path}: {instance} is not one of {value}"))
                }
                "type" => {
                    let types: Vec<&str> = match value {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        other => panic!("bad type {other}"),
                    };
                    if !types.iter().any(|t| has_type(instance, t)) {
                        errors.push(format!("{path}: {instance} is not of type {value}"));
                    }
                }
                "properties" => {
                    if let Value::Object(object) = instance {
                        for (name, property) in value.as_object().expect("properties object") {
                            if let Some(member) = object.get(name) {
                                self.check(property, member, &format!("{path}.{name}"), errors);
                            }
                        }
                    }
                }
                "required" => {
                    if let Value::Object(object) = instance {
                        for name in value
                            .as_array()
                            .expect("required array")
                            .iter()
                            .filter_map(Value::as_str)
                        {
                            if !object.contains_key(name) {
                                errors.push(format!("{path}: missing required {name}"));
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Value::Object(object) = instance {
                        let declared = schema.get("properties").and_then(Value::as_object);
                        for (name, member) in object {
                            if !declared.is_some_and(|d| d.contains_key(name)) {
                                self.check(value, member, &format!("{path}.{name}"), errors);
                            }
                        }
                    }
                }
                "items" => {
                    if let Value::Array(items) = instance {
                        for (i, item) in items.iter().enumerate() {
                            self.check(value, item, &format!("{path}[{i}]"), errors);
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(n), Some(bound)) = (instance.as_f64(), value.as_f64()) {
                        let ok = if keyword == "minimum" {
                            n >= bound
                        } else {
                            n <= bound
                        };
                        if !ok {
                            errors.push(format!("{path}: {n} violates {keyword} {bound}"));
                        }
                    }
                }
                "maxItems" => {
                    if let (Some(items), Some(max)) = (instance.as_array(), value.as_u64())
                        && items.len() as u64 > max
                    {
                        errors.push(format!("{path}: more than {max} items"));
                    }
                }
                "const" | "enum" | "description" | "format" | "$schema" | "definitions"
                | "$defs" => {}
                other => panic!("the validator does not know the keyword {other}"),
            }
        }
    }
}

fn has_type(instance: &Value, ty: &str) -> bool {
    match ty {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        "integer" => {
            instance.is_i64()
                || instance.is_u64()
                || instance.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        other => panic!("unknown type {other}"),
    }
}
