"""python -m bench: run every benchmark."""
from bench import compliance, login

if __name__ == "__main__":
    login.main([])
    compliance.main([])
