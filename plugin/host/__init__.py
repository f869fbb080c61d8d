"""Host-neutral helpers shared by the Nuke and Resolve adapters: running the engine, host set-up.

Nothing here imports a host module, numpy or torch: these modules must import inside a host's own
Python (Nuke's, Resolve's), which usually lacks the engine's dependencies.
"""
