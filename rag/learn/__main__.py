"""`python -m rag.learn reranker ...` or `python -m rag.learn answers ...`."""

import sys

from . import main

sys.exit(main(sys.argv[1:]))
