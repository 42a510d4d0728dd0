using Microsoft.EntityFrameworkCore;
using Whistle.Api.Features.Seeding;
using Whistle.Api.Tests.Infrastructure;

namespace Whistle.Api.Tests;

/// <summary>
/// A database of the operator's own, new and empty: the first command run on it migrates it (creating
/// PostGIS) and then reads and writes geometry in the same process.
/// </summary>
public class FreshDatabaseTests
{
    [Fact]
    public async Task The_first_seed_on_a_new_empty_database_migrates_it_and_loads_the_orders()
    {
        var connectionString = await TestDatabase.CreateEmptyAsync();

        var (orders, _) = await SeedOrders.SeedAsync(connectionString, new SeedOrders.Options(40, 2025, 3), TimeProvider.System, _ => { }, default);

        Assert.Equal(40, orders);
        await using var db = TestDatabase.Context(connectionString);
        Assert.Equal(40, await db.Orders.CountAsync());
        Assert.NotEmpty(await db.GridBoundaries.Select(b => b.Boundary).Take(1).ToListAsync());
    }
}
