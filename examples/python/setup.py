"""The optional C accelerator of the kag module (_kagrecord.c), built when a
compiler and the Python headers are there (Debian: python3-dev); without
them the module installs alone and judge_record() takes the pure-Python
path (kag.ACCELERATED is False). Everything else is in pyproject.toml.

SPDX-License-Identifier: MIT
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("_kagrecord", ["_kagrecord.c"], optional=True)])
