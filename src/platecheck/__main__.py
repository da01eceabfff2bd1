from platecheck.cli import run

run()
