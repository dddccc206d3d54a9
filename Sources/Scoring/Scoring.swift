// The Scoring engine lives in this module.
