# The patient survey page and kiosks.
