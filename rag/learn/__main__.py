"""`python -m rag.learn reranker ...`: train the built-in ranking stage."""

import sys

from .command import main

sys.exit(main())
