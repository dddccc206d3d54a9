// The Fairness engine lives in this module.
