# The survey builder.
