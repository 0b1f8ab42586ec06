using Exchange.Client.Protocol;
using Microsoft.Extensions.ObjectPool;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// Per-connection scratch, pooled so that connection churn does not allocate it each time: a buffer for a packet that
/// arrived split across pipe segments (at most the maximum frame length) and the copy of a login request that outlives
/// the read buffer while the password is checked.
/// </summary>
internal sealed class SessionBuffers(int maxFrameLength)
{
    public byte[] Frame { get; } = new byte[maxFrameLength];
    public byte[] Login { get; } = new byte[PacketType.LoginRequestPayload];

    internal sealed class Policy(int maxFrameLength) : PooledObjectPolicy<SessionBuffers>
    {
        public override SessionBuffers Create() => new(maxFrameLength);

        public override bool Return(SessionBuffers obj)
        {
            // Login requests carry a password: do not keep one around in a pooled buffer.
            Array.Clear(obj.Login);
            return true;
        }
    }
}
