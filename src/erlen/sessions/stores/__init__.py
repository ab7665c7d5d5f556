"""Session stores: the interface (:mod:`.base`) and one module per backend, each importing its
client library only when used."""
