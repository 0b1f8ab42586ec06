using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Exchange.Client;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Security;

namespace Exchange.Gateway.Tests.Cluster;

/// <summary>
/// The client's search for a cluster's leader right after the leader died (docs/cluster.md, Tuning), against stand-in
/// nodes on 127.0.0.1: a follower that still names the dead leader must not keep the client from the node list's other
/// nodes; and a follower checks the password of a login it refuses, so the next leader knows it.
/// </summary>
public sealed class LeaderDiscoveryTests
{
    [Fact]
    public async Task LoginToLeader_FollowerNamesTheDeadLeader_FindsTheNewLeaderAfterIt()
    {
        // The dead leader: a port nobody listens on.
        var dead = new TcpListener(IPAddress.Loopback, 0);
        dead.Start();
        var deadPort = ((IPEndPoint)dead.LocalEndpoint).Port;
        dead.Stop();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // A follower whose election timer has not fired yet: it names the dead leader.
        var follower = new TcpListener(IPAddress.Loopback, 0);
        follower.Start();
        var serving = Serve(follower, _ => OrderEntryPort.Refusal(new IPEndPoint(IPAddress.Loopback, deadPort)), stop.Token);
        // The new leader, last in the list.
        var leader = new TcpListener(IPAddress.Loopback, 0);
        leader.Start();
        var leading = Serve(leader, _ => Accepted("SESSION1", 7), stop.Token);
        try
        {
            (string, int)[] nodes =
            [
                ("127.0.0.1", deadPort), ("127.0.0.1", ((IPEndPoint)follower.LocalEndpoint).Port),
                ("127.0.0.1", ((IPEndPoint)leader.LocalEndpoint).Port),
            ];
            var steps = new List<string>();
            await using var client = await ExchangeClient.LoginToLeaderAsync(nodes, "u", "p", 7, "SESSION1", TimeSpan.FromSeconds(5),
                s => { lock (steps) steps.Add(s); });
            Assert.Equal("SESSION1", client.Session);
            Assert.Equal(7, client.LoginSequence);
            // Found in the first round: the dead leader once, the follower once (its name not followed), the leader.
            lock (steps)
                Assert.DoesNotContain(steps, s => s.StartsWith("pause", StringComparison.Ordinal));
        }
        finally
        {
            await stop.CancelAsync();
            follower.Stop();
            leader.Stop();
            await Task.WhenAll(serving, leading);
        }
    }

    [Fact]
    public async Task Warm_RightPassword_RemembersIt_WrongPassword_NotAgainForAWhile()
    {
        var config = TestConfig();
        var users = new UserDirectory(config.Users);
        var t1 = users.All.First(u => u.Name == "t1");
        await users.WarmAsync("t1", "wrong"u8.ToArray());
        Assert.Null(t1.Remembered);
        Assert.True(t1.WarmAfterMs > Exchange.Gateway.Sessions.GatewayClock.NowMs);
        t1.WarmAfterMs = 0;
        await users.WarmAsync("nobody", "pw-t1"u8.ToArray());
        await users.WarmAsync("t1", System.Text.Encoding.ASCII.GetBytes(Support.TestServer.Password("t1")));
        Assert.NotNull(t1.Remembered);
        var (check, user) = await users.VerifyAsync("t1", System.Text.Encoding.ASCII.GetBytes(Support.TestServer.Password("t1")), default);
        Assert.Equal(LoginCheck.Ok, check);
        Assert.Same(t1, user);
    }

    private static GatewayConfig TestConfig() => Support.TestServer.Config();

    /// <summary>Answers every connection's Login Request with <paramref name="answer"/>, then closes it.</summary>
    private static async Task Serve(TcpListener listener, Func<byte[], byte[]> answer, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(stop);
                var login = new byte[3 + PacketType.LoginRequestPayload];
                var read = 0;
                while (read < login.Length)
                {
                    var n = await socket.ReceiveAsync(login.AsMemory(read), stop);
                    if (n == 0) break;
                    read += n;
                }
                if (read < login.Length) continue;
                await socket.SendAsync(answer(login), stop);
                // The accepted client keeps its connection until it closes it.
                if (answer(login)[2] == PacketType.LoginAccepted)
                    while (await socket.ReceiveAsync(new byte[64], stop) > 0) { }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static byte[] Accepted(string session, long sequence)
    {
        var bytes = new byte[3 + PacketType.LoginAcceptedPayload];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, 1 + PacketType.LoginAcceptedPayload);
        bytes[2] = PacketType.LoginAccepted;
        LoginCodec.Accepted(bytes.AsSpan(3), session, sequence);
        return bytes;
    }
}
