"""Reference versions of graded exercises, for the book's pages.

Each module holds a working version of every exercise of one assignment, with the exercise's
own name and contract, so the project's tests can grade it and keep the pages, the solution
notebooks and the checks in agreement. The book may call these functions but never prints
their bodies. Graded code may not use them: the autograder refuses anything from this
package (`autograder/refusal.py`).
"""
