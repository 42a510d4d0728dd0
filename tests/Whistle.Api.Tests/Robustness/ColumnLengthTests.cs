using System.Text.Json;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Whistle.Api.Features.Access;
using Whistle.Api.Features.Reference;
using Whistle.Api.Tests.Infrastructure;
using Whistle.Domain.Orders;

namespace Whistle.Api.Tests.Robustness;

/// <summary>
/// No string the service accepts is longer than a column it can be copied into: the database's own
/// column lengths (information_schema, after every migration) against the validators' limits, read
/// from the validators themselves, and the limits the rules state in code. A value valid where it
/// was accepted but too long where it is later written is a 500 on a day nobody tests.
/// </summary>
public class ColumnLengthTests(WhistleApp app) : IClassFixture<WhistleApp>
{
    private const string TokenPrefix = "token:";

    /// <summary>Where each kind of accepted text is copied, by the columns' names, and the longest it can be.</summary>
    private static IEnumerable<(string What, int Longest, Func<string, string, bool> Column)> Flows()
    {
        // A reference code (streets, communities, grids, departments, categories) goes wherever a code is kept.
        yield return ($"a reference code (ReferenceRules.MaxCodeLength)", ReferenceRules.MaxCodeLength,
            (table, column) => (column.EndsWith("_code", StringComparison.Ordinal) || (column == "code" && table != "orders")) && table != "idempotency_keys");
        // An actor's name (a credential's, a token's): who filed, who asked, who summoned, whose history entry.
        yield return ($"an actor's name (Actor.MaxNameLength)", Actor.MaxNameLength,
            (table, column) => column.EndsWith("_by", StringComparison.Ordinal) || column == "actor" || (table == "credentials" && column == "name"));
        // An actor's id as records keep it: token: and the subject, or key: and a key's id.
        yield return ($"an actor's id (token: + Caller.MaxIdLength)", TokenPrefix.Length + Caller.MaxIdLength,
            (_, column) => column is "actor_id" or "owner_id");
        // Who created or revoked a key: the name and the id together (Actor.Signature).
        yield return ($"an actor's signature (name (token:id))", Actor.MaxNameLength + " ()".Length + TokenPrefix.Length + Caller.MaxIdLength,
            (table, column) => table == "credentials" && column is "created_by" or "revoked_by");
    }

    [Fact]
    public async Task Every_accepted_string_fits_every_column_it_can_be_copied_into()
    {
        // A column that holds an enum's wire name (cancel_reason, return_reason_code) is written from the enum, never from client text.
        var enums = EnumColumns();
        var columns = (await ColumnsAsync()).Where(c => !enums.Contains((c.Table, c.Column))).ToList();
        Assert.NotEmpty(enums);
        Assert.NotEmpty(columns);
        var failures = new List<string>();
        foreach (var (what, longest, kept) in Flows())
        {
            var into = columns.Where(c => kept(c.Table, c.Column)).ToList();
            Assert.True(into.Count > 0, $"{what}: no column matched (the schema's names changed?)");
            failures.AddRange(into.Where(c => c.Length < longest).Select(c => $"{what}: up to {longest}, but {c.Table}.{c.Column} holds {c.Length}"));
        }
        // Every validator's limit, against the columns of the same name (title → orders.title, reason → cancel_reason…).
        foreach (var (field, longest) in ValidatorLimits())
        {
            var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(field);
            foreach (var column in columns.Where(c => c.Column == name || c.Column.EndsWith("_" + name, StringComparison.Ordinal)))
            {
                if (column.Length < longest)
                {
                    failures.Add($"'{field}' is accepted up to {longest}, but {column.Table}.{column.Column} holds {column.Length}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct()));
    }

    [Fact]
    public void The_validators_are_read_so_a_new_limit_is_checked_without_a_new_test()
    {
        var limits = ValidatorLimits().ToLookup(l => l.Field, l => l.Longest);
        Assert.Contains(Actor.MaxNameLength, limits["name"]);
        Assert.Contains(2000, limits["reason"]);
    }

    private HashSet<(string Table, string Column)> EnumColumns()
    {
        using var db = app.Db();
        return db.Model.GetEntityTypes()
            .SelectMany(entity => entity.GetProperties().Select(property => (entity, property)))
            .Where(p => (Nullable.GetUnderlyingType(p.property.ClrType) ?? p.property.ClrType).IsEnum && p.entity.GetTableName() is not null)
            .Select(p => (p.entity.GetTableName()!, p.property.GetColumnName()))
            .ToHashSet();
    }

    /// <summary>Every varchar column of the migrated store, with its length.</summary>
    private async Task<List<(string Table, string Column, int Length)>> ColumnsAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT table_name, column_name, character_maximum_length FROM information_schema.columns " +
            "WHERE table_schema = 'public' AND character_maximum_length IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<(string, string, int)>();
        while (await reader.ReadAsync())
        {
            columns.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2)));
        }
        return columns;
    }

    /// <summary>The maximum length of every field every validator of the service limits, by the field's wire name.</summary>
    private static IEnumerable<(string Field, int Longest)> ValidatorLimits()
    {
        var validators = typeof(Program).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(IValidator).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null);
        foreach (var type in validators)
        {
            var descriptor = ((IValidator)Activator.CreateInstance(type)!).CreateDescriptor();
            foreach (var member in descriptor.GetMembersWithValidators())
            {
                foreach (var (validator, _) in member)
                {
                    if (validator is ILengthValidator { Max: > 0 } length)
                    {
                        yield return (member.Key.Split('.')[^1], length.Max);
                    }
                }
            }
        }
    }
}
