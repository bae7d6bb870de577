"""Test scaffolding shared by test modules: a fake clock, the scripted foreman, feed builders.

A test module imports its helpers from here (or the format helpers of tests/vectors)
and its fixtures from conftest.py, never from another test module;
tests/test_layering.py checks it.
"""
