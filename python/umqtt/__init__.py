# umqtt-rs: import the client from umqtt.simple2 (this package exports nothing itself, as in simple2).
