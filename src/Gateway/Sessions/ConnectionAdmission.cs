using System.Net;
using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Sessions;

/// <summary>
/// Who may hold a connection slot. Kestrel's cap (<see cref="GatewayLimits.MaxConnections"/>) is global, and a socket
/// that never logs in holds its slot for the login timeout, so without more one address could keep everyone out. Here
/// each address has its own cap (<see cref="GatewayLimits.MaxConnectionsPerAddress"/>), and connections not yet logged
/// in are counted apart, per address and in all (<see cref="GatewayLimits.MaxUnauthenticatedPerAddress"/>,
/// <see cref="GatewayLimits.MaxUnauthenticatedConnections"/>): a flood of idle sockets fills only those, and logged-in
/// sessions keep the rest. A refused connection gets a <c>+</c> Debug packet with the reason and is closed.
/// </summary>
internal sealed class ConnectionAdmission(GatewayLimits limits)
{
    private readonly Dictionary<IPAddress, Counts> _byAddress = new();
    private readonly Lock _gate = new();
    private int _unauthenticated;

    /// <summary>Connections not yet logged in, in all.</summary>
    public int Unauthenticated
    {
        get
        {
            lock (_gate) return _unauthenticated;
        }
    }

    /// <summary>Admits a new connection (counted as not logged in), or says why not.</summary>
    public bool TryAdmit(IPAddress? address, out string reason)
    {
        address ??= IPAddress.None;
        lock (_gate)
        {
            _byAddress.TryGetValue(address, out var c);
            reason = c.Open >= limits.MaxConnectionsPerAddress ? "too many connections from this address"
                : c.Unauthenticated >= limits.MaxUnauthenticatedPerAddress ? "too many connections from this address waiting to log in"
                : _unauthenticated >= limits.MaxUnauthenticatedConnections ? "too many connections waiting to log in: try later"
                : "";
            if (reason.Length > 0) return false;
            _byAddress[address] = new Counts(c.Open + 1, c.Unauthenticated + 1);
            _unauthenticated++;
            return true;
        }
    }

    /// <summary>An admitted connection logged in: it no longer counts as waiting.</summary>
    public void LoggedIn(IPAddress? address)
    {
        address ??= IPAddress.None;
        lock (_gate)
        {
            var c = _byAddress[address];
            _byAddress[address] = c with { Unauthenticated = c.Unauthenticated - 1 };
            _unauthenticated--;
        }
    }

    /// <summary>An admitted connection closed (<paramref name="loggedIn"/>: after <see cref="LoggedIn"/>).</summary>
    public void Closed(IPAddress? address, bool loggedIn)
    {
        address ??= IPAddress.None;
        lock (_gate)
        {
            var c = _byAddress[address];
            if (!loggedIn) _unauthenticated--;
            c = new Counts(c.Open - 1, c.Unauthenticated - (loggedIn ? 0 : 1));
            if (c.Open == 0) _byAddress.Remove(address);
            else _byAddress[address] = c;
        }
    }

    private readonly record struct Counts(int Open, int Unauthenticated);
}
