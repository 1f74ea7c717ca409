"""Input channels that keep Rasa's REST and socket.io behaviour but never go silent.

`credentials.yml` names them by module path (`rasa_addons.channels.rest.GuardedRestInput`,
`rasa_addons.channels.socketio.GuardedSocketIOInput`); the URLs stay `/webhooks/rest/webhook` and
`/socket.io`.
"""
