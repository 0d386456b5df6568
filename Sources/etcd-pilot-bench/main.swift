// Placeholder: the client benchmark is being written (see bench/README.md).
print("etcd-pilot-bench: not written yet")
