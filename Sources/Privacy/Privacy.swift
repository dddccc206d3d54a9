// The Privacy engine lives in this module.
