"""Evaluations of the judges: the offline judge's precision per title on a hand-labelled set, and
first-error agreement of any judge with human error annotations."""
