"""The gateway's paths, shared by the client and the sandbox.

>>> SEND_PATH
'/Messaging/v1/MMSOnnet'
"""

TOKEN_PATH = "/oauth/v2/token"
SEND_PATH = "/Messaging/v1/MMSOnnet"
STATUS_PATH = "/Messaging/v1/MMSDeliveryStatus"
LIMIT_PATH = "/Messaging/v1/MMSOnnet/limit"
DOC_PATH = "/doc/api/Messaging/v1/MMSOnnet/doc.json"
