"""Answering: extractive and written answers, their checks, prompts, models, follow-ups, summaries, timelines, feedback."""
