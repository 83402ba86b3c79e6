"""Member, the membership ledger and party age: built by the Foundation II issue."""
