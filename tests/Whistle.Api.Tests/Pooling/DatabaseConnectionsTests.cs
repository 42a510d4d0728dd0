using Microsoft.Extensions.Configuration;
using Whistle.Api.Infrastructure;

namespace Whistle.Api.Tests.Pooling;

public class DatabaseConnectionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    [Fact]
    public void Without_WhistleDirect_the_direct_connection_is_the_service_one()
    {
        var connections = DatabaseConnections.Resolve(Configuration(), "Host=db;Database=whistle");

        Assert.Equal(("Host=db;Database=whistle", "Host=db;Database=whistle"), (connections.Whistle, connections.Direct));
    }

    [Fact]
    public void WhistleDirect_names_the_direct_connection()
    {
        var connections = DatabaseConnections.Resolve(
            Configuration(("ConnectionStrings:WhistleDirect", "Host=db-primary;Database=whistle")), "Host=pgbouncer;Port=6432;Database=whistle");

        Assert.Equal(("Host=pgbouncer;Port=6432;Database=whistle", "Host=db-primary;Database=whistle;Cancellation Timeout=-1"),
            (connections.Whistle, connections.Direct));
    }

    [Fact]
    public void WhistleReadOnly_names_the_standby_and_prefers_one_among_several_hosts()
    {
        Assert.Null(DatabaseConnections.Resolve(Configuration(), "Host=db;Database=whistle").ReadOnly);

        var connections = DatabaseConnections.Resolve(
            Configuration(("ConnectionStrings:WhistleReadOnly", "Host=db2,db1;Database=whistle")), "Host=db1,db2;Database=whistle");

        Assert.Equal("prefer-standby", new Npgsql.NpgsqlConnectionStringBuilder(connections.ReadOnly).TargetSessionAttributes);
    }

    [Theory]
    // A timed-out command breaks its connection rather than read the answer to its cancel (a commit's wait for the standby, cut short, answers success).
    [InlineData("Host=db;Database=whistle", "Host=db;Database=whistle;Cancellation Timeout=-1")]
    [InlineData("Host=db;Database=whistle;Cancellation Timeout=2000", "Host=db;Database=whistle;Cancellation Timeout=2000")]
    // Several hosts: writes find the primary, and look for it again every second.
    [InlineData("Host=db1,db2;Database=whistle",
        "Host=db1,db2;Database=whistle;Cancellation Timeout=-1;Target Session Attributes=read-write;Host Recheck Seconds=1")]
    [InlineData("Host=db1,db2;Database=whistle;Target Session Attributes=primary;Host Recheck Seconds=5",
        "Host=db1,db2;Database=whistle;Target Session Attributes=primary;Host Recheck Seconds=5;Cancellation Timeout=-1")]
    public void A_configured_connection_string_gets_the_services_defaults_unless_it_sets_them(string configured, string used) =>
        Assert.Equal(
            new Npgsql.NpgsqlConnectionStringBuilder(used).OrderBy(p => p.Key).ToList(),
            new Npgsql.NpgsqlConnectionStringBuilder(Whistle.Api.Persistence.WhistleDataSources.WithDefaults(configured)).OrderBy(p => p.Key).ToList());

    [Theory]
    [InlineData("Host=pgbouncer;Port=6432;Database=whistle;No Reset On Close=true", false)]
    [InlineData("Host=db;Database=whistle;Max Auto Prepare=0", false)]
    [InlineData("Host=db;Database=whistle;Max Auto Prepare=64", true)]
    public void Statements_are_prepared_only_where_the_connection_string_asks_for_it(string connectionString, bool prepares) =>
        Assert.Equal(prepares, DatabaseConnections.Prepares(connectionString));
}
