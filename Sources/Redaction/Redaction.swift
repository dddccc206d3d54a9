// The Redaction engine lives in this module.
