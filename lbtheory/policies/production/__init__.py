"""The routers production serving engines run in front of their data-parallel ranks.

Each rule is a :class:`~lbtheory.policies.dispatch.DispatchPolicy` (dispatch on arrival, per-rank FIFO
queues, optionally stale load snapshots) in its own module, whose docstring names the source file and
function it follows and what it counts of its own dispatches:

- :mod:`.sglang`: ``sglang_round_robin``, ``sglang_total_requests``, ``sglang_total_tokens``
- :mod:`.vllm`: ``vllm`` (the internal DP load balancer, score 4·waiting + running)
- :mod:`.trtllm`: ``trtllm`` (attention-DP request balancing)
- :mod:`.power_of_two`: ``power_of_two``
- :mod:`.dynamo`: ``dynamo`` (a Dynamo KV-router style block cost with expected output blocks)

None of them plans for the +1 per step growth of what it places (MODEL.md).
"""

from lbtheory.policies.production.dynamo import DynamoRouter
from lbtheory.policies.production.power_of_two import PowerOfTwo
from lbtheory.policies.production.sglang import (
    SGLangRoundRobin,
    SGLangTotalRequests,
    SGLangTotalTokens,
)
from lbtheory.policies.production.trtllm import TRTLLMAttentionDP
from lbtheory.policies.production.vllm import VLLMBalancer

__all__ = [
    "PRODUCTION_POLICIES",
    "DynamoRouter",
    "PowerOfTwo",
    "SGLangRoundRobin",
    "SGLangTotalRequests",
    "SGLangTotalTokens",
    "TRTLLMAttentionDP",
    "VLLMBalancer",
]

#: The production rules, in the order reports list them.
PRODUCTION_POLICIES = (
    SGLangRoundRobin,
    SGLangTotalRequests,
    SGLangTotalTokens,
    VLLMBalancer,
    TRTLLMAttentionDP,
    PowerOfTwo,
    DynamoRouter,
)
