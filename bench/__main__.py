"""python -m bench: run every benchmark."""
from bench import login

if __name__ == "__main__":
    login.main([])
