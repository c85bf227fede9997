# umqtt-rs: the umqtt package of a firmware without `from umqtt import
# MQTTClient` (the `client` façade, umqtt/_client.py). Nothing to load
# lazily: `import umqtt.simple2` and `from umqtt import simple2` import the
# submodule themselves. python/manifest_facades.py freezes this file as
# umqtt/__init__.py in such a firmware instead of python/umqtt/__init__.py.
