"""Example environments (configs users can start from) and the data the self-contained ones generate."""
