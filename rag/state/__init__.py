"""What the bot keeps between runs, in SQLite files beside each other: ratings of answers (feedback.py),
and the answers it gave and its threads' conversations (memory.py). Built by the composition root
(rag.app); the cogs use what it built."""
