"""Item Response Theory: estimators, scoring, fit, classical analysis, group comparison."""
